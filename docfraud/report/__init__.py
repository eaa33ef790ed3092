"""Reports for people: the screening page of one document, series reports, exports."""
