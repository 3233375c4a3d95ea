"""Static files served by Dash from /assets (CSS, client-side JavaScript)."""
