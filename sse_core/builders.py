"""The guide's ``SSEEventBuilder``: the generated builders, one per event type
(:class:`protocol.builders.EventBuilders`), under the guide's names."""

from __future__ import annotations

from protocol.builders import EventBuilders


class SSEEventBuilder(EventBuilders):
    """Builders named after the event types, each returning the generated ``protocol.models``
    event with its timestamp set to now unless given; plus the guide's
    ``message_regeneration_started``. Pass the result to :meth:`~sse_core.Broadcaster.publish`
    or ``broadcast_event``."""

    #: The guide's name for :meth:`message_regenerating`.
    message_regeneration_started = EventBuilders.message_regenerating
