"""Commerce: transactions (immutable sales and returns), orders, claims and aggregations."""
