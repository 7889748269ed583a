"""The W3C VC-API: issue and verify, with the checks the suites expect."""
