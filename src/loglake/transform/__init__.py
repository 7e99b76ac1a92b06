"""The ETL: decode → detect format → parse → flatten → normalise → route, one raw object at a time."""
