"""Built-in checks, one module per suite; registered through the ``synthaudit.checks`` entry points."""
