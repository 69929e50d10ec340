"""The import page (/import): upload, the area check of each row, the background job and its report
— a thin shell over renkou.exchange.importer."""
