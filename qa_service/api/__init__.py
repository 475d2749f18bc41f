"""HTTP routers, one per resource; they call the plain functions of the domain modules."""
