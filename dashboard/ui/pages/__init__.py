"""One module per page; importing a module registers its page."""
