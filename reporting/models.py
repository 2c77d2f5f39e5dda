"""Models come with the provincial reporting issue."""
