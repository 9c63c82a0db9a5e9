#!/bin/sh
# A style check that finds something to complain about: the job is allowed to fail.
echo "src/build.sh: line 3: prefer printf over echo"
exit 1
