"""The knowledge base service: tenant articles in the database, search per tenant."""
