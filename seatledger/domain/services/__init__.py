"""Use cases: each opens one transaction, applies the rules, and returns a Result."""
