from helmdeck.cli.main import main

main()
