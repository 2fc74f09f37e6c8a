#!/usr/bin/env python
from cadence.manage import main

if __name__ == "__main__":
    main()
