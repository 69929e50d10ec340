"""The one storage layer: schema, migrations, connections, the change feed and the audit hook."""
