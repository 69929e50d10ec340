"""Getting data in and out: templates, CSV/XLSX readers, validated atomic imports, exports."""
