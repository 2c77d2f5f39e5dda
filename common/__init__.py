"""Small shared helpers used by several apps (search, pagination). Not a Django app."""
