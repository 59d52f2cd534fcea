"""The Sluice broadcaster: sessions, bounded fan-out, history and resume, on pure Trio."""
