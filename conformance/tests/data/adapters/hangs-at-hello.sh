# Test adapter: never answers, not even hello.
exec sleep 60
