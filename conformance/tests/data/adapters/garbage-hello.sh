# Test adapter: answers hello with a line that is not JSON.
read -r line
echo "Traceback (most recent call last): this is not JSON"
