# Test adapter: claims protocol version 2.
read -r line
printf '%s\n' '{"id":0,"ok":{"adapter":"future","protocol":2,"capabilities":["identity.canonicalize"]}}'
