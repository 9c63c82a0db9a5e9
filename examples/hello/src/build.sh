#!/bin/sh
# "Builds" the app: prints a shell script that greets.
cat <<'APP'
#!/bin/sh
echo "Hello from the hello app"
APP
