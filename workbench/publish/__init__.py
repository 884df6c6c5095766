"""Publishing: spreadsheet, CSV and chart exports, and stories."""
