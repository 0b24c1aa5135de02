"""Extensions of the crawl stage: they listen to signals and never change what is crawled."""
