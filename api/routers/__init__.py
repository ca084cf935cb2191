"""One router per concern; :func:`api.app.create_app` assembles them."""
