"""Who may do what: bearer tokens and their claims, the access checks, and the limits."""
