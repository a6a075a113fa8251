# Test adapter: the reference adapter (its path is the first argument), except that every answer
# to envelope.open carries the same wrong content, "wrong" (hex 776f6e67).
"$1" | sed -u 's/"content":"[0-9a-f]*"/"content":"776f6e67"/'
