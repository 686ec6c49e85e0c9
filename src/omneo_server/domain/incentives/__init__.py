"""Incentives: definitions and what profiles hold (rewards, points, credits, benefits, tiers,
achievements), the ledger every balance is derived from, and redemptions."""
