from regioindeling.cli import main

main()
