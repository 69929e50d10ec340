from renkou.cli.app import main

main()
