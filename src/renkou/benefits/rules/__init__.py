"""The rules of the family-support programmes, as data: the programmes and their conditions, the amounts."""
