"""Request rate limits and token budgets: in this process's memory, or in Redis shared by every replica."""
