"""python -m actopt"""

import sys

from actopt.cli import main

sys.exit(main())
