"""Administrative units: the province → district → commune → village tree."""
