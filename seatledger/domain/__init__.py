"""The pure domain: seats, their history, the billing rules and the use cases."""
