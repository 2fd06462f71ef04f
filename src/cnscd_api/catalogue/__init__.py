"""The catalogue: content categories (what people are guided in) and indicators (what
teams count), with stable codes, names in Vietnamese and English, retired not deleted."""
