"""Reading exports and writing the scored tables (``tables``): the table schemas, one reader
per input format, one writer per output format, atomic by a hidden partial file."""
