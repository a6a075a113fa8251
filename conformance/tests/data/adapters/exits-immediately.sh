# Test adapter: dies before reading anything, after a word on stderr.
echo "adapter-side boom: cannot load its configuration" >&2
exit 3
