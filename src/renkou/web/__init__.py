"""The web application: FastAPI with server-rendered pages; a thin shell over the services."""
