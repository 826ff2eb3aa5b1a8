"""Run Ralph's LRS API (uvicorn, no reloader) with its file-system backend, for the xAPI tests.

Started with the Ralph venv's Python (``.venv-ralph/bin/python ralph_server.py HOST PORT``); its
settings come from the environment (RALPH_*). Ralph's FS backend writes every POST as a new file
(operation "create") and so refuses the second POST to its one statements file; here it appends,
which is what an LRS does with new statements.
"""

import sys

import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.data.fs import FSDataBackend

FSDataBackend.default_operation_type = BaseOperationType.APPEND

if __name__ == "__main__":
    uvicorn.run("ralph.api:app", host=sys.argv[1], port=int(sys.argv[2]), log_level="warning")
