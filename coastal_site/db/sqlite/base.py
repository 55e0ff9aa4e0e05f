"""Django's SQLite backend with money read back to the pesewa.

SQLite has no decimal type: amounts are stored as binary floating point. Django rounds a plain
column to its decimal places when it reads it, but not a computed value (a SUM, a CASE, a
difference), so a sum of postings could come back as 91.5700000000001 and no longer equal a
balance of 91.57. This backend rounds every computed decimal that has decimal places the same
way (half-even, in the field's context). The errors removed are around 1e-13; a real difference
is at least a pesewa. PostgreSQL stores exact numerics and needs none of this.
"""

import decimal

from django.db.backends.sqlite3 import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def get_decimalfield_converter(self, expression):
        places = getattr(expression.output_field, "decimal_places", None)
        if places is None:
            return super().get_decimalfield_converter(expression)
        create_decimal = decimal.Context(prec=15).create_decimal_from_float
        quantum = decimal.Decimal(1).scaleb(-places)
        context = expression.output_field.context

        def converter(value, expression, connection):
            if value is not None:
                return create_decimal(value).quantize(quantum, context=context)

        return converter


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
