"""Outputs a bureau files and hands upward: Excel lists, parcel reports, the one-pager."""
