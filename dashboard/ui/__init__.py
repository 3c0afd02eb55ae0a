"""Dash pages, the shell and shared components: thin layouts and callbacks over analytics and figures."""
