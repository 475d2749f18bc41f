"""qa_service: sign in with a wallet, ask the author, answers earn credits.

Dependencies point one way: siwe, credits (formula) and settings know nothing of HTTP;
models <- db <- auth / questions / credits <- api/* <- app <- cli.
"""

__version__ = "0.1.0"
