import sys

from emoji_fer.cli import main

sys.exit(main())
