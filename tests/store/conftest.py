from tests.store.dbs import db_url

__all__ = ["db_url"]
