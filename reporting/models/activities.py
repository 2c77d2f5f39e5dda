"""Activities that no other record holds: events, communication products, guidelines and their
distribution."""

__all__: list[str] = []
