"""Writes of the point of sale, one module a job: stock (items, prices, stock and its moves), sales
(the till, quotes, voids), days (a cashier's day close) and the four-way reconciliation of aid cycles."""
