"""The illustrative Kyzylorda sample data set, generated from published facts."""
