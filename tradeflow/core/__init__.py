"""The low layer every office shares: pricing, searching, record writing and time constants.

It imports nothing from the rest of tradeflow except the data model, so market, front, middle
and back can all build on it.
"""
