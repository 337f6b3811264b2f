from regioindeling.cli import main

if __name__ == "__main__":  # solver worker processes (forkserver) import this module as __mp_main__
    main()
