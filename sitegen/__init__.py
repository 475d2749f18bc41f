"""sitegen: Markdown posts with YAML frontmatter -> a static, script-free, offline-ready blog.

Modules depend one way: errors <- config <- markdown (+ mdplugins) <- content <- site <-
render <- feeds / sitemap / meta / offline <- references <- build <- output <- serve <- cli.
"""

__version__ = "0.1.0"
