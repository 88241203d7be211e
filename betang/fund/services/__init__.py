"""The revolving fund's writes, by sub-domain: funds and products, applications, loans and their
repayments, changes to a loan, the portfolio run, repayments from the bank statement."""
